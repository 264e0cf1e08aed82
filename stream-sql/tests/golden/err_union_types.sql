SELECT auction, channel FROM bids
UNION ALL
SELECT id, score FROM gen
