-- title: Suspect drug continued after the reaction
-- question: In which cases was the suspect continued after the reaction, and under what cover?
-- description: Cases in which the suspect drug was given again after onset: how (each re-exposure and its result), under what cover (premedication, and treatments such as anti-IL-5 antibodies running at the time), and what finally became of the therapy. Oldest report first; case_summary?suspect_continued=1 lists them all, with CSV.
-- per_page: 100
select
  s.case_key,
  s.citation,
  s.suspect_drugs,
  l.indication,
  s.challenges as re_exposures,
  coalesce(s.continued_under, 'none reported') as continued_under,
  coalesce(f.label, case when l.source_read = 'Full text read' then 'not reported' else 'source not read' end) as therapy_fate,
  coalesce(s.switched_to, '') as switched_to,
  l.outcome
from case_summary s
join case_list l on l.case_key = s.case_key
left join vocab_therapy_fate f on f.code = s.therapy_fate
where s.suspect_continued = 1
order by s.year, s.case_key
