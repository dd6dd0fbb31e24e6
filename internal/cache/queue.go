package cache

// queue is a FIFO of entries: a circular doubly-linked list through a
// sentinel. head.next is the newest entry, head.prev the oldest.
type queue struct {
	head entry // sentinel
}

func (q *queue) init() { q.head.prev, q.head.next = &q.head, &q.head }

func (q *queue) empty() bool { return q.head.next == &q.head }

// back returns the oldest entry. The queue must not be empty.
func (q *queue) back() *entry { return q.head.prev }

func (q *queue) pushFront(e *entry) {
	e.prev, e.next = &q.head, q.head.next
	q.head.next.prev = e
	q.head.next = e
}

func (q *queue) remove(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}
