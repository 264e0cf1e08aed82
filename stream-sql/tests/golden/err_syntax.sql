SELEC auction FROM bids
