-- title: Authors' versus registry RegiSCAR scores
-- question: Do the authors' RegiSCAR scores fit the facts the registry holds?
-- description: The RegiSCAR DRESS score as the authors published it next to the one the registry computes from the stored facts (with the range of totals the unknown items still allow). 'Consistent' means the authors' total lies within the range of totals the registry's facts still allow (not that the two totals are equal); 'disagrees' means it lies outside. Disagreements first; case_summary has both scores of every case, with CSV.
-- per_page: 100
select
  case_key,
  citation,
  authors_regiscar,
  authors_regiscar_category,
  registry_regiscar,
  registry_regiscar_min,
  registry_regiscar_max,
  registry_regiscar_category,
  case regiscar_disagreement
    when 1 then 'disagrees with the authors'
    when 0 then 'consistent with the authors'
    else 'cannot compare'
  end as comparison
from case_summary
where coalesce(authors_regiscar, registry_regiscar, authors_regiscar_category, registry_regiscar_category) is not null
order by regiscar_disagreement desc, case_key  -- desc puts NULL (cannot compare) last
