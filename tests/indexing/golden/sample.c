#include <stdio.h>
#include "store.h"

#define LIMIT 10
#define SQUARE(x) ((x) * (x))

typedef struct item {
    int id;
} item_t;

enum color { RED, GREEN };

static int counter;

int store_get(struct store *s, int key);

char *store_name(const struct store *s) {
    return s->name;
}

int main(void) {
    printf("%d\n", SQUARE(LIMIT));
    return 0;
}
