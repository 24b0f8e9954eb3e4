package store

import (
	"fmt"
	str "strings"
	. "example.com/demo/util"
	"example.com/demo/model"
)

const DefaultLimit = 10

var ErrMissing = fmt.Errorf("missing")

type Store struct {
	items map[string]model.Item
}

type Reader interface {
	Get(key string) (model.Item, error)
}

type ID string

func New() *Store {
	return &Store{items: map[string]model.Item{}}
}

func (s *Store) Get(key string) (model.Item, error) {
	item, ok := s.items[str.ToLower(key)]
	if !ok {
		return item, ErrMissing
	}
	return item, nil
}
