SELECT auction, pricee FROM bids
