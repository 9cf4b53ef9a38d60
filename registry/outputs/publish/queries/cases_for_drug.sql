-- title: Cases for a drug
-- question: Which cases had this drug as a suspect?
-- choices: drug=drugs
-- description: Cases in which the named drug was a suspect, co-suspect or interacting drug, with the main facts of each case, oldest report first. For every case at once, filter case_summary with suspect_drug_list__arraycontains and download it as CSV.
-- per_page: 100
-- example: drug=imatinib
-- the reading view's words (labels; a missing value says why), filtered through case_summary
select
  l.case_key,
  l.citation,
  l.age_years,
  l.sex,
  l.country,
  l.indication,
  l.suspect_drugs,
  coalesce(s.dose_at_onset, case when l.source_read = 'Full text read' then 'not reported' else 'source not read' end)
    as dose_at_onset,
  l.latency_days,
  l.peak_eosinophils_per_ul,
  l.re_exposure,
  l.re_exposure_result,
  l.outcome,
  l.source_read
from case_summary s
join case_list l on l.case_key = s.case_key
where s.case_id in (
  select e.case_id
  from drug_exposures e
  -- names are stored in lower case and unique: one id, so the drug's exposures are read by drug_id
  where e.drug_id = (select id from drugs where name = lower(trim(:drug)))
    and e.role in ('suspect', 'co_suspect', 'interacting')
)
order by s.year, s.case_key
