CREATE VIEW counts AS SELECT id, COUNT(*) AS n FROM gen GROUP BY id;
SELECT b.auction, c.n FROM bids AS b JOIN counts FOR SYSTEM_TIME AS OF b.ts AS c ON b.auction = c.id
