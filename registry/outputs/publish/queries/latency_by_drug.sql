-- title: Latency by suspect drug
-- question: How long after the first dose did the reaction begin, drug by drug?
-- description: For each main suspect drug: how many cases, how many of them have a known latency, and the median, shortest and longest latency in days. Latency counts the first-dose day as day 1 (latency_days = onset_day - start_day + 1); a case whose latency is unknown is counted in latency_unknown and left out of the median and range. The median of an even number of cases is the mean of the middle two. To list a drug's cases, filter case_summary by main_suspect_drug.
with by_drug as (
  select main_suspect_drug as drug, count(*) as cases, count(latency_days) as with_latency,
         min(latency_days) as shortest_days, max(latency_days) as longest_days
  from case_summary
  group by main_suspect_drug
),
ranked as (
  select main_suspect_drug as drug, latency_days,
         row_number() over (partition by main_suspect_drug order by latency_days) as rn
  from case_summary
  where latency_days is not null
),
medians as (
  select r.drug, avg(r.latency_days) as median_days
  from ranked r join by_drug d on d.drug is r.drug
  where r.rn in ((d.with_latency + 1) / 2, (d.with_latency + 2) / 2)
  group by r.drug
)
select d.drug as suspect_drug, d.cases, d.with_latency as cases_with_latency,
       d.cases - d.with_latency as latency_unknown,
       m.median_days, d.shortest_days, d.longest_days
from by_drug d left join medians m on m.drug is d.drug
order by d.cases desc, d.drug is null, d.drug
