package web

// DecodeJSON exports the strict body decoder to the web_test tests.
var DecodeJSON = decodeJSON
