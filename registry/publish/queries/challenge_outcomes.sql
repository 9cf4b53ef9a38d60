-- title: Rechallenge and desensitisation outcomes
-- description: Every re-exposure to a drug after the reaction (rechallenge, deliberate re-introduction, desensitisation, continuing through the reaction): protocol steps (dose, protocol day, minutes after the previous step), premedication and result.
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
from challenge_events c
join drug_exposures e on e.id = c.exposure_id
join drugs d on d.id = e.drug_id
join case_summary s on s.case_id = e.case_id
join vocab_challenge_type t on t.code = c.challenge_type
left join vocab_challenge_result r on r.code = c.result
order by s.case_key, e.seq, c.seq
