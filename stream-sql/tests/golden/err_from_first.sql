FROM bids
