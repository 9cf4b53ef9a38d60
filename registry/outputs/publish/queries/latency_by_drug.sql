-- title: Latency by suspect drug
-- question: How long after the first dose did the reaction begin, drug by drug?
-- description: For each main suspect drug: how many cases, how many of them have a known latency, and the median, shortest and longest latency in days. Latency counts the first-dose day as day 1 (latency_days = onset_day - start_day + 1); a case whose latency is unknown is counted in latency_unknown and left out of the median and range. The median of an even number of cases is the mean of the middle two. To list a drug's cases, filter case_summary by main_suspect_drug.
with ranked as (
  select main_suspect_drug as drug, latency_days,
         row_number() over (partition by main_suspect_drug order by latency_days) as rn,
         count(*) over (partition by main_suspect_drug) as n
  from case_summary
  where latency_days is not null
),
latency as (
  select drug, max(n) as n,
         avg(case when rn in ((n + 1) / 2, (n + 2) / 2) then latency_days end) as median_days,
         min(latency_days) as shortest_days, max(latency_days) as longest_days
  from ranked
  group by drug
),
by_drug as (
  select main_suspect_drug as drug, count(*) as cases from case_summary group by main_suspect_drug
)
select d.drug as suspect_drug, d.cases, coalesce(l.n, 0) as cases_with_latency,
       d.cases - coalesce(l.n, 0) as latency_unknown,
       l.median_days, l.shortest_days, l.longest_days
from by_drug d left join latency l on l.drug is d.drug
order by d.cases desc, d.drug is null, d.drug
