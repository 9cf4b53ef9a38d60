-- title: Disagreements between sources
-- question: Where do the sources disagree?
-- description: Facts on which sources, or two places in one source, or two curators, disagree: the value the registry follows next to the one it does not (or why that side has none), with publications, locators and the curators' notes. By case key; facts about a publication itself (its citation, the pages read) last.
-- per_page: 100
select
  case_key,
  subject_table,
  field,
  curated_value,
  curated_citation,
  curated_locator,
  curated_note,
  other_value,
  other_citation,
  other_locator,
  other_note
from discrepancies
order by case_key is null, case_key, subject_table, field, id
