SELECT b.auction, g.score FROM bids AS b JOIN gen FOR SYSTEM_TIME AS OF b.price AS g ON b.auction = g.id
