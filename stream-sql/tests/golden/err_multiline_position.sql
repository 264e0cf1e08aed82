SELECT auction,
       price,
       bidder / 'x'
FROM bids
