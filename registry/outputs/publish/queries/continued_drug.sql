-- title: Suspect drug continued after the reaction
-- question: In which cases was the suspect continued after the reaction, and under what cover?
-- description: Cases in which the suspect drug was given again after onset: how (each re-exposure and its result), under what cover (premedication, and treatments such as anti-IL-5 antibodies running at the time), and what finally became of the therapy. Oldest report first; case_summary?suspect_continued=1 lists them all, with CSV.
-- per_page: 100
select
  s.case_key,
  s.citation,
  s.suspect_drugs,
  s.indication,
  s.challenges,
  s.continued_under,
  f.label as therapy_fate,
  s.switched_to,
  o.label as outcome
from case_summary s
left join vocab_therapy_fate f on f.code = s.therapy_fate
left join vocab_reaction_outcome o on o.code = s.reaction_outcome
where s.suspect_continued = 1
order by s.year, s.case_key
