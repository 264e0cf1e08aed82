CREATE VIEW cheap AS SELECT auction, price, ts FROM bids WHERE price < 100;
EXPLAIN INSERT INTO totals
SELECT auction, window_start, SUM(price)
FROM TABLE(TUMBLE(TABLE cheap, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end
