-- title: Search cases
-- question: Which cases mention these words?
-- description: Full-text search over case keys, citations, publication titles, curators' summaries and notes, drugs, indications, treatments and re-exposures. Words are matched with stemming (desensitised finds desensitisation); quotes and operators are taken literally. A word for giving the suspect again (rechallenge, re-introduction, restart, desensitisation, re-exposure, continued) finds every re-exposure whatever word the paper used. Matching words are highlighted; best matches first.
-- per_page: 100
-- example: q=reslizumab
select
  s.case_key,
  s.citation,
  s.suspect_drugs,
  s.indication,
  snippet(case_summary_fts, -1, '⟦', '⟧', ' … ', 16) as matched,
  s.summary
from case_summary_fts
join case_summary s on s.rowid = case_summary_fts.rowid
where case_summary_fts match case
  when trim(:q) = '' then '""'
  -- words for giving the suspect again: any of them finds them all (porter stems restart/restarted, ...)
  when lower(trim(:q)) in ('rechallenge', 're-challenge', 'rechallenged', 'reintroduction', 're-introduction',
                            'reintroduced', 're-introduced', 'restart', 'restarted', 'desensitisation',
                            'desensitization', 'desensitised', 'desensitized', 're-exposure', 'reexposure',
                            're-exposed', 'continued', 'continuation', 'readministration', 're-administration')
    then 'rechallenge OR "re challenge" OR reintroduction OR "re introduction" OR reintroduced OR restart OR '
      || 'desensitisation OR desensitization OR desensitised OR desensitized OR "re exposure" OR reexposure OR '
      || '"continued through" OR readministration OR "re administration"'
  else escape_fts(:q) end
order by case_summary_fts.rank
