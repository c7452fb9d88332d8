package loaders

import (
	"context"
	"sync"
)

// The crew is the goroutines an operation runs its concurrent work on: a level's resolver calls
// (all but the one on the engine's goroutine), a round's batches (all but the first), a round sent
// beside a call in Do. A reference request has about 40 such pieces of work over nine levels; a
// goroutine for each cost a closure, a WaitGroup and a goroutine start apiece, where a crew of a few
// workers kept for the operation serves them all.
//
// A piece of work goes to an idle worker, or to a new one when none is idle: work may wait for other
// work (a call for the round another call sends), so none is ever queued behind another. A worker
// counts itself idle (under Op.mu) before it reports its work done, so the next level finds every
// worker of the previous one idle. The workers end with the operation (Begin's end); one still
// sending a round for Do then ends when its round is sent.

// taskKind says what a task is.
type taskKind uint8

const (
	taskCall  taskKind = iota // call i of the level being run
	taskBatch                 // one memo's keys of a round being sent
	taskRound                 // a whole round (Do)
)

// task is one piece of an operation's concurrent work, passed by value (no allocation per task).
type task struct {
	kind  taskKind
	ctx   context.Context
	call  func(context.Context, int)
	i     int
	batch sender
	round *round
	done  *sync.WaitGroup // taskCall, taskBatch: told when the task is done
}

// submit runs t on an idle worker, or on a new one.
func (op *Op) submit(t task) {
	op.mu.Lock()
	if op.idle == 0 {
		op.mu.Unlock()
		go op.work(t)
		return
	}
	op.idle--
	tasks := op.tasks
	op.mu.Unlock()
	tasks <- t // an idle worker is at its receive, or about to be
}

// work runs t, then the tasks submitted to it while idle, until the operation ends.
func (op *Op) work(t task) {
	for {
		switch t.kind {
		case taskCall:
			op.runCall(t.ctx, t.call, t.i)
		case taskBatch:
			t.batch.send(op.ctx)
		case taskRound:
			op.send(t.round)
		}
		op.mu.Lock()
		ended := op.ended // a round sent beside a call (Do) may finish after the operation
		if !ended {
			op.idle++
			if op.tasks == nil { // the first worker to go idle makes the crew's channel
				op.tasks = make(chan task)
			}
		}
		tasks := op.tasks
		op.mu.Unlock()
		if t.done != nil {
			t.done.Done()
		}
		if ended {
			return
		}
		var ok bool
		if t, ok = <-tasks; !ok {
			return
		}
	}
}
