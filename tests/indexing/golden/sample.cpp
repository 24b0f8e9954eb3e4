#include <vector>
#include "geometry/point.hpp"

namespace geo {

class Shape {
public:
    virtual double area() const = 0;
    std::string name() const { return "shape"; }
};

struct Circle : Shape {
    double r;
    double area() const override;
};

using Shapes = std::vector<Shape*>;

template <typename T>
T largest(const std::vector<T>& items) {
    return items.front();
}

}  // namespace geo

double geo::Circle::area() const {
    return 3.14159 * r * r;
}

int main() {
    return 0;
}
