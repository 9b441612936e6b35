"""Instagram professional accounts through the Instagram API with Facebook Login."""
