-- title: Cases by indication and outcome
-- question: How many cases are there per indication and outcome?
-- description: How many cases there are for each indication of the suspect drug, split by the outcome of the reaction at last follow-up. Largest groups first. To list the cases of a row, filter case_summary by indication and reaction_outcome.
-- per_page: 100
select
  coalesce(s.indication, 'not known') as indication,
  coalesce(o.label, 'not known') as outcome,
  count(*) as cases
from case_summary s
left join vocab_reaction_outcome o on o.code = s.reaction_outcome
group by 1, 2
order by cases desc, indication, outcome
