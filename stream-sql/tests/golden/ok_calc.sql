EXPLAIN SELECT auction, price * 908 / 1000 AS euros, UPPER(channel) FROM bids WHERE price > 10 AND channel LIKE 'G%'
