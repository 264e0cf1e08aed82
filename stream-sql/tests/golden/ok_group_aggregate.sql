EXPLAIN SELECT auction, COUNT(*) AS bids, MAX(price) AS top FROM bids WHERE price > 0 GROUP BY auction HAVING COUNT(*) > 1
