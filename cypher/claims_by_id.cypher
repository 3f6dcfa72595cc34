// Canonical claim rows with lineage for the given ids, in time order, with the SHA-256 of
// the source file each came from (recorded when it was loaded) and the provider's name
// (public: designated institutions and pharmacies) and kind (listed, else the label given
// when a claim created it; graphscan.schema.provider_member_kinds), for evidence.
UNWIND $claim_ids AS id
MATCH (c:Claim {claim_id: id})
OPTIONAL MATCH (l:Load {load_id: c.load_id})
OPTIONAL MATCH (c)-[:AT]->(v:Provider)
RETURN c {
  .*, file_sha256: l.file_sha256, provider_name: v.name,
  provider_kind: coalesce(v.kind, CASE WHEN v:Pharmacy THEN 'pharmacy' END)
} AS claim
ORDER BY c.start_time, c.claim_id
