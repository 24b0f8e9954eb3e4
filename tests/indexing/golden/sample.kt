package com.acme.app

import kotlin.math.max
import com.acme.util.Strings as S
import com.acme.model.*

const val LIMIT = 10

data class User(val name: String, val age: Int)

interface Repository {
    fun find(id: Int): User?
}

object Registry {
    val users = mutableListOf<User>()
    fun register(user: User) {
        users.add(user)
    }
}

class MemoryRepository : Repository {
    override fun find(id: Int): User? = Registry.users.getOrNull(id)
}

fun greet(user: User): String {
    return "Hello, ${user.name}"
}

typealias UserList = List<User>
