-- title: Cases for a drug
-- question: Which cases had this drug as a suspect?
-- choices: drug=drugs
-- description: Cases in which the named drug was a suspect, co-suspect or interacting drug, with the main facts of each case, oldest report first. For every case at once, filter case_summary with suspect_drug_list__arraycontains and download it as CSV.
-- per_page: 100
-- example: drug=imatinib
select
  s.case_key,
  s.citation,
  s.age_years,
  (select label from vocab_sex where code = s.sex) as sex,
  s.country,
  s.indication,
  s.suspect_drugs,
  s.dose_at_onset,
  s.latency_days,
  s.peak_eosinophils_per_ul,
  (select label from vocab_dechallenge_result where code = s.dechallenge_result) as dechallenge,
  (select label from vocab_challenge_result where code = s.rechallenge_result) as rechallenge,
  (select label from vocab_therapy_fate where code = s.therapy_fate) as therapy_fate,
  (select label from vocab_reaction_outcome where code = s.reaction_outcome) as outcome,
  s.doi_url
from case_summary s
where s.case_id in (
  select e.case_id
  from drug_exposures e
  -- names are stored in lower case and unique: one id, so the drug's exposures are read by drug_id
  where e.drug_id = (select id from drugs where name = lower(trim(:drug)))
    and e.role in ('suspect', 'co_suspect', 'interacting')
)
order by s.year, s.case_key
