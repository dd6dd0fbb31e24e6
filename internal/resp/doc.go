// Package resp is the Redis protocol as tempest serve and tempest serve
// --cluster speak it: a reply writer for RESP2 and RESP3 (Writer), a
// reader of one reply (Read, Parse), the conversion of a RESP2 reply to
// RESP3 (ToRESP3), and the parsing rules redis-server 7.0 applies to
// arguments (ParseInt, ParseCursor, Glob). Both front ends build every
// reply here, so that they answer as redis-server does, byte for byte.
package resp
