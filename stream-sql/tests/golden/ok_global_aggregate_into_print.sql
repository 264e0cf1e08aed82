EXPLAIN INSERT INTO printed SELECT bidder, COUNT(*), SUM(price) FROM bids GROUP BY bidder
