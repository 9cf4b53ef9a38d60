-- title: Authors' versus registry RegiSCAR scores
-- question: Do the authors' RegiSCAR scores fit the facts the registry holds?
-- description: The RegiSCAR DRESS score as the authors published it next to the one the registry computes from the stored facts (with the range of totals the unknown items still allow). 'Consistent' means the authors' total lies within the range of totals the registry's facts still allow (not that the two totals are equal); 'disagrees' means it lies outside. Disagreements first; case_summary has both scores of every case, with CSV.
-- per_page: 100
select
  s.case_key,
  s.citation,
  l.regiscar_authors as authors,
  l.regiscar_registry as registry,
  case s.regiscar_disagreement
    when 1 then 'disagrees with the authors'
    when 0 then 'consistent with the authors'
    else 'cannot compare'
  end as comparison
from case_summary s
join case_list l on l.case_key = s.case_key
where coalesce(s.authors_regiscar, s.registry_regiscar, s.authors_regiscar_category, s.registry_regiscar_category) is not null
order by s.regiscar_disagreement desc, s.case_key  -- desc puts NULL (cannot compare) last
