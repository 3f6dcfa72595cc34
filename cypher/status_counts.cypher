// Row counts per canonical table (entities count when they came from their table).
CALL () { MATCH (n:Claim) RETURN count(n) AS claims }
CALL () { MATCH (n:ClaimItem) RETURN count(n) AS claim_items }
CALL () { MATCH (n:Person) WHERE n.listed RETURN count(n) AS persons }
CALL () { MATCH (n:Provider) WHERE n.listed RETURN count(n) AS providers }
CALL () { MATCH (n:Doctor) WHERE n.listed RETURN count(n) AS doctors }
RETURN claims, claim_items, persons, providers, doctors
