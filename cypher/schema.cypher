// Constraints and indexes: one statement per block, separated by semicolons.
// Every entity has a unique key, and claims are also indexed by the columns projections filter on.
CREATE CONSTRAINT claim_id IF NOT EXISTS FOR (c:Claim) REQUIRE c.claim_id IS UNIQUE;
CREATE CONSTRAINT claim_item_key IF NOT EXISTS FOR (i:ClaimItem) REQUIRE i.item_key IS UNIQUE;
CREATE CONSTRAINT person_id IF NOT EXISTS FOR (p:Person) REQUIRE p.person_id IS UNIQUE;
CREATE CONSTRAINT card_id IF NOT EXISTS FOR (c:Card) REQUIRE c.card_id IS UNIQUE;
CREATE CONSTRAINT provider_id IF NOT EXISTS FOR (p:Provider) REQUIRE p.provider_id IS UNIQUE;
CREATE CONSTRAINT doctor_id IF NOT EXISTS FOR (d:Doctor) REQUIRE d.doctor_id IS UNIQUE;
CREATE CONSTRAINT operator_id IF NOT EXISTS FOR (o:Operator) REQUIRE o.operator_id IS UNIQUE;
CREATE CONSTRAINT load_id IF NOT EXISTS FOR (l:Load) REQUIRE l.load_id IS UNIQUE;
CREATE CONSTRAINT reversal_hash IF NOT EXISTS FOR (r:Reversal) REQUIRE r.row_hash IS UNIQUE;
CREATE INDEX claim_start IF NOT EXISTS FOR (c:Claim) ON (c.start_time);
CREATE INDEX claim_kind IF NOT EXISTS FOR (c:Claim) ON (c.kind);
CREATE INDEX claim_person IF NOT EXISTS FOR (c:Claim) ON (c.person_id);
CREATE INDEX claim_card IF NOT EXISTS FOR (c:Claim) ON (c.card_id);
CREATE INDEX claim_provider IF NOT EXISTS FOR (c:Claim) ON (c.provider_id);
CREATE INDEX claim_doctor IF NOT EXISTS FOR (c:Claim) ON (c.doctor_id);
CREATE INDEX claim_operator IF NOT EXISTS FOR (c:Claim) ON (c.operator_id);
CREATE INDEX person_phone IF NOT EXISTS FOR (p:Person) ON (p.phone_key);
CREATE INDEX claim_item_claim IF NOT EXISTS FOR (i:ClaimItem) ON (i.claim_id);
CREATE INDEX load_finished IF NOT EXISTS FOR (l:Load) ON (l.finished_at)
