-- title: Cases by indication and outcome
-- description: How many cases there are for each indication of the suspect drug, split by the outcome of the reaction at last follow-up.
select
  coalesce(s.indication, 'not known') as indication,
  coalesce(o.label, 'not known') as outcome,
  count(*) as cases,
  group_concat(s.case_key, ', ') as case_keys
from case_summary s
left join vocab_reaction_outcome o on o.code = s.reaction_outcome
group by 1, 2
order by cases desc, indication, outcome
