-- title: Rechallenge and desensitisation outcomes
-- question: When the suspect was given again, what happened?
-- description: Every re-exposure to a drug after the reaction (rechallenge, deliberate re-introduction, desensitisation, continuing through the reaction): protocol steps (dose, protocol day, minutes after the previous step), premedication and result. By case key.
-- per_page: 100
select
  s.case_key,
  s.citation,
  d.name as drug,
  t.label as re_exposure,
  c.start_day,
  (
    select group_concat(step, '; ')
    from (
      select printf('%g %s on protocol day %d%s', st.dose_value, st.dose_unit, st.protocol_day,
                    case when st.interval_minutes is not null then printf(' (+%d min)', st.interval_minutes) else '' end) as step
      from challenge_steps st
      where st.challenge_id = c.id
      order by st.step_number
    )
  ) as steps,
  c.premedication,
  r.label as result,
  c.time_to_recurrence_days,
  c.notes
-- CROSS JOIN keeps case_summary the outer loop (SQLite's join-order hint): cases come in
-- case_key order from its primary key, so a page stops after its rows instead of sorting them all.
from case_summary s
cross join drug_exposures e on e.case_id = s.case_id
cross join challenge_events c on c.exposure_id = e.id
join drugs d on d.id = e.drug_id
join vocab_challenge_type t on t.code = c.challenge_type
left join vocab_challenge_result r on r.code = c.result
order by s.case_key, e.seq, c.seq
