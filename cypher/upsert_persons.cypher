// Rows of the persons table: fill the attributes of a :Person once (listed = true marks
// a person that came from the table, not only from claims); later rows with the same
// person_id are left alone. Dates arrive as ISO text.
UNWIND $rows AS row
MERGE (p:Person {person_id: row.person_id})
WITH p, row WHERE p.listed IS NULL
SET p += row, p.listed = true
SET p.birth_date = date(row.birth_date), p.death_date = date(row.death_date)
RETURN count(p) AS written
