// Package e2e holds the end-to-end tests: the real sample services (package demo) on loopback, the
// whole gateway in front of them over real HTTP, and assertions on the responses and on the services'
// own call counters. It has no non-test code besides this comment.
package e2e
