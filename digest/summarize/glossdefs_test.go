package summarize

import (
	"reflect"
	"testing"

	"github.com/tidings/tidings"
)

func TestGlossaryConstructions(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []tidings.Term
	}{
		{"appositive",
			"The failover is run by Patroni, an open-source tool that automates PostgreSQL failover, on every node.",
			[]tidings.Term{{Term: "Patroni", Definition: "Open-source tool that automates PostgreSQL failover"}}},
		{"relative clause",
			"We moved the queue to Redpanda, which is a streaming platform compatible with the Kafka API.",
			[]tidings.Term{{Term: "Redpanda", Definition: "Streaming platform compatible with the Kafka API"}}},
		{"appositive after a preposition",
			"At Acme Labs, a research nonprofit funded by grants, the team built it.",
			[]tidings.Term{{Term: "Acme Labs", Definition: "Research nonprofit funded by grants"}}},
		{"appositive with a kind noun ending in s",
			"The team adopted Kanban, a process for limiting work in progress.",
			[]tidings.Term{{Term: "Kanban", Definition: "Process for limiting work in progress"}}},
		{"appositive naming a person is not a term",
			"The fix came from Jane Doe, a senior engineer on the storage team.",
			nil},
		{"appositive that is not a kind",
			"It happened on Monday, a busy day for the whole team.",
			nil},
		{"sentence-initial word is not a name",
			"Today, a new version of the router shipped to everyone.",
			nil},
		{"short for",
			"Run kubectl (short for Kube Control) against the cluster.",
			[]tidings.Term{{Term: "kubectl", Definition: "Kube Control"}}},
		{"parenthetical definition",
			"Growth follows a sigmoid (a sigmoid is an S-shaped curve that flattens out) in the end.",
			[]tidings.Term{{Term: "sigmoid", Definition: "S-shaped curve that flattens out"}}},
		{"parenthetical remark is not a definition",
			"The cluster failed twice (it is a long story) last week.",
			nil},
		{"named law with a colon",
			"The default assumption should be Lindy's Law: a process will continue about as long as it has run already.",
			[]tidings.Term{{Term: "Lindy's Law", Definition: "A process will continue about as long as it has run already"}}},
		{"named law that states",
			"Conway's law states that systems mirror the communication structure of the teams that build them.",
			[]tidings.Term{{Term: "Conway's law", Definition: "Systems mirror the communication structure of the teams that build them"}}},
		{"law without a name is not a term",
			"The law: nobody may ship on a Friday afternoon again.",
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := glossary(parse(tc.text), nil)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
