SELECT auction, SUM(price) OVER (PARTITION BY auction ORDER BY ts) FROM bids
