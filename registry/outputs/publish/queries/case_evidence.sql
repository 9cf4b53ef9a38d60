-- title: All evidence behind one case
-- question: Where does each fact of this case come from?
-- choices: case_key=cases
-- description: Every evidence row of a case: which fact, what the source says (or that it does not say), where, how the stored value was derived, whether the registry follows it, and the publication with its DOI and PubMed links.
-- example: case_key=park2021-1
select
  ev.id as evidence_id,
  ev.subject_table,
  ev.subject_id,
  ev.field,
  st.label as status,
  ev.value_as_stated,
  dv.label as derivation,
  ev.locator,
  case when ev.is_curated then 'followed' else 'not followed' end as curation,
  ev.curation_note,
  p.citation,
  p.title,
  p.doi_url,
  p.pubmed_url
from evidence ev
join cases c on c.id = ev.case_id
join publications p on p.id = ev.publication_id
join vocab_evidence_status st on st.code = ev.status
left join vocab_derivation dv on dv.code = ev.derivation
where c.case_key = trim(:case_key)
order by ev.subject_table, ev.subject_id, ev.field, ev.is_curated desc, ev.id
