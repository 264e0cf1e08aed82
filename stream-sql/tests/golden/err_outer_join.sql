SELECT * FROM bids b FULL JOIN people p ON b.bidder = p.id
