SELECT auction, SUM(price) OVER (PARTITION BY auction ORDER BY price) FROM bids
