// Row counts per canonical table, counted like the embedded store: every person and
// doctor (listed or named by a claim), providers that are listed or named by a claim
// (not those only named as a doctor's workplace), and the reversals netted in.
CALL () { MATCH (n:Claim) RETURN count(n) AS claims }
CALL () { MATCH (n:ClaimItem) RETURN count(n) AS claim_items }
CALL () { MATCH (n:Person) RETURN count(n) AS persons }
CALL () {
  MATCH (n:Provider) WHERE n.listed OR EXISTS { (n)<-[:AT]-(:Claim) }
  RETURN count(n) AS providers
}
CALL () { MATCH (n:Doctor) RETURN count(n) AS doctors }
CALL () { MATCH (n:Reversal) RETURN count(n) AS reversals }
RETURN claims, claim_items, persons, providers, doctors, reversals
