-- title: Search cases
-- description: Full-text search over case keys, citations, publication titles, curators' summaries and notes, drugs, indications, treatments and re-exposures. Words are matched with stemming (desensitised finds desensitisation); quotes and operators are taken literally. Best matches first.
-- per_page: 100
-- example: q=reslizumab
select
  s.case_key,
  s.citation,
  s.suspect_drugs,
  s.indication,
  snippet(case_summary_fts, -1, '[', ']', ' … ', 16) as matched,
  s.summary
from case_summary_fts
join case_summary s on s.rowid = case_summary_fts.rowid
where case_summary_fts match case when trim(:q) = '' then '""' else escape_fts(:q) end
order by case_summary_fts.rank
