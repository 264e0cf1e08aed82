EXPLAIN SELECT auction, PROCTIME() AS seen_at FROM bids WHERE price > 10
