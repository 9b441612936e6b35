"""Facebook Pages (Graph API): comments on the Page's posts and Messenger in; replies,
private replies, Messenger messages and Page posts out; comments hidden on request."""
