INSERT INTO totals
SELECT auction, MAX(ts), CAST(SUM(price) AS DOUBLE) FROM bids GROUP BY auction
