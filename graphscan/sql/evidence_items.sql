-- Evidence: the lines (drugs, services, materials) of the given claims, so the case page,
-- memo and evidence CSV can say which drug and how much of it, not only how much money.
-- item_links finds the lines' rows (see link_items.sql), so only the row groups of
-- claim_items that hold them are read; the claim ids are then compared exactly (two ids
-- can share a hash).
-- Parameters: $claim_ids (VARCHAR list)
-- Output columns: claim_id, item_code, item_name, item_kind (VARCHAR), quantity, amount
--   (DOUBLE; quantity NULL when the extract has none)
-- Order: claim_id, item_code, item_name, quantity, amount
SELECT claim_id, item_code, item_name, item_kind, CAST(quantity AS DOUBLE) AS quantity,
       CAST(amount AS DOUBLE) AS amount
FROM claim_items
WHERE rowid IN (SELECT item_row FROM item_links
                WHERE claim IN (SELECT hash(id) FROM unnest($claim_ids) AS wanted(id)))
  AND list_contains($claim_ids, claim_id)
ORDER BY claim_id, item_code, item_name, quantity, amount
