EXPLAIN SELECT b.auction, b.price, g.tag, COALESCE(b.window_end, g.window_end) AS window_end
FROM (SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))) b
FULL JOIN TABLE(TUMBLE(TABLE gen, DESCRIPTOR(at), INTERVAL '10' SECOND)) g
ON b.auction = g.id AND b.window_start = g.window_start AND b.window_end = g.window_end AND g.score > 0.5
