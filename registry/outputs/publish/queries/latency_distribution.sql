-- title: Latency distribution
-- question: How long after the first dose did the reaction begin?
-- description: How many cases began in each week after the first dose of the suspect drug. Latency counts the first-dose day as day 1 (latency_days = onset_day - start_day + 1); cases whose latency is unknown are counted on the last row. To list the cases of a week, filter case_summary with latency_days__gte and latency_days__lte.
select
  case
    when latency_days is null then 'unknown'
    else printf('%d-%d', ((latency_days - 1) / 7) * 7 + 1, ((latency_days - 1) / 7) * 7 + 7)
  end as latency_window_days,
  sum(n) as cases,
  min(latency_days) as shortest_days,
  max(latency_days) as longest_days
-- counted per day first: that reads the latency_days index in order, without sorting every case
from (select latency_days, count(*) as n from case_summary group by latency_days)
group by latency_window_days
order by min(latency_days) is null, min(latency_days)
