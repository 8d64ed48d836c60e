-- trade_current keeps the indexes the console's queries use, and only those. bench/console-explain.ts ran every
-- endpoint of bench:console at 1,000,000 trades under EXPLAIN (ANALYZE, BUFFERS) (docs/benchmarks.md, "Projection
-- indexes"): the primary key (trade look-ups, the nacked and search joins, the projector's ON CONFLICT),
-- trade_current_id (every list newest first, most filters walking it), trade_current_cp (trades by counterparty) and
-- trade_current_last_status (status:rejected) were used; product, asset_class, lifecycle, execution and notional
-- were not: their filters match a fifth of the trades or more, and walking trade_current_id newest first finds a
-- page sooner. The projector wrote all nine for every trade; the five cost about half its PostgreSQL CPU.
--
-- Status filters are the exception worth an index: the rare values (errored or terminated trades, rejected ones,
-- ones with warnings) would otherwise walk every trade, so lifecycle and last_status keep an index on those values
-- only: partial, a few entries where the full ones had one per trade. A filter on a common value ('live',
-- 'accepted') walks trade_current_id as before. Searches for a value no index covers now walk or scan the table when
-- few trades match: a UPI few trades have, an execution date range with few trades, a notional bound few reach
-- (110 to 510 ms at a million trades on the benchmark machine, against under 3 ms with the indexes). Each of those
-- indexes would cost the projector about 3 µs of PostgreSQL CPU per event again.
DROP INDEX trade_current_product;
DROP INDEX trade_current_asset_class;
DROP INDEX trade_current_execution;
DROP INDEX trade_current_notional;
DROP INDEX trade_current_lifecycle;
DROP INDEX trade_current_last_status;
CREATE INDEX trade_current_lifecycle ON trade_current (lifecycle, id) WHERE lifecycle <> 'live';
CREATE INDEX trade_current_last_status ON trade_current (last_status, id) WHERE last_status <> 'accepted';
