// Sex and birth date read from persons' resident ID numbers at load, as properties of
// their :Person (the claims just written created it): id_sex, id_birth_date. A person
// that has them keeps the first ones. Dates arrive as ISO text.
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
WHERE p.id_sex IS NULL
SET p.id_sex = row.sex, p.id_birth_date = date(row.birth_date)
