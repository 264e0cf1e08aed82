EXPLAIN SELECT n, COUNT(*) AS auctions, MAX(total) AS top
FROM (SELECT auction, COUNT(*) AS n, SUM(price) AS total FROM bids GROUP BY auction)
WHERE total > 10
GROUP BY n
